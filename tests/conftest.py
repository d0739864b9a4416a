"""Shared fixtures: paths to the bundled examples and the design sketch charter."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

SKETCH = '''\
# Lines starting with '#' are comments and survive formatting.

charter "Brightwell Community Value Charter"
  authority "Brightwell Borough Council"
  version 1.2
  status adopted on 2025-03-12
  consultation from 2025-01-06 to 2025-02-28
    with residents, "local SMEs", "voluntary and community sector", "large businesses"
    responses 412
  financial year starts 1 April
  working week is 37.5 hours

area local "Brightwell borough"
  postcode districts BW1, BW2, BW3, BW4
area priority "Eastgate and Millside wards"
  wards "Eastgate", "Millside"

strength river "River Lynd green corridor" is natural capital
strength volunteers "Strong volunteer networks" is social capital

theme jobs "Good local jobs and skills" weight 40%
theme green "A greener Brightwell" weight 35%
theme community "Stronger communities" weight 25%

metric local_jobs "Local people employed on the contract"
  code NT1                      # from the approved list
  counts FTE, averaged over time  # a level, not a stock
  only people living in local
  proxy £29,000 per FTE-year (2024 prices)
  deadweight 15%, attribution 10%

metric apprentice_weeks "Weeks of apprenticeship completed"
  counts person-weeks, summed
  proxy £250 per person-week (2024 prices)

metric local_spend "Spend with suppliers based in local"
  counts GBP, summed
metric total_spend "All spend on the contract"
  counts GBP, summed
  record only

metric carbon_saved "Carbon emissions avoided"
  counts tCO2e, summed
  proxy £245 per tCO2e (2021 prices)

outcome more_local_work "More Brightwell residents in good, secure work"
  theme jobs
  builds on volunteers
  targeted at priority
  measured by local_jobs, apprentice_weeks

contract HR-2025-014 "Responsive housing repairs"
  supplier "Example Repairs Ltd"
  value £12m
  runs from 2025-04-01 to 2030-03-31

  target local_jobs at least 25 FTE each financial year
  target apprentice_weeks at least 52 person-weeks per £1m of contract value over the contract
    milestone 150 person-weeks by 2026-03-31
  target local_spend at least 30% of total_spend each quarter
  target carbon_saved at least 120 tCO2e by 2027-03-31
  excused from 2025-12-20 to 2026-01-04 because "site closure"

  review every 6 months from 2025-10-01
    good when delivery is at least 100% of what is due
    approaching when at least 90%
    requires improvement when below 90%
    inadequate when below 60%
    remedy plan within 30 days when requires improvement at 2 consecutive reviews
    break allowed when inadequate at 3 consecutive reviews
'''


@pytest.fixture
def sketch() -> str:
    return SKETCH
