"""考核晾晒: monthly department scorecards and rankings computed from the run logs."""
