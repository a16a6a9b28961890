"""Partner reporting: the quarterly return workbooks, returns sent, checked, approved and imported, partner
accounts and the returns' trail."""
