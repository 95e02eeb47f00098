"""数据治理: standardisers per field kind (vectorised), quarantine and the clean gate."""
