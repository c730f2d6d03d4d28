"""A double-entry ledger shared by the lending and risk domains: accounts, transactions and their postings."""
