"""数据开放: what may be opened (level against open type), field masking and the personal-data scan."""
