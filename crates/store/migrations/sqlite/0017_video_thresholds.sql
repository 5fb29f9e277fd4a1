-- Per-bank video match percentages (NULL: python-threatexchange's 80 and 0).
ALTER TABLE bank_settings ADD COLUMN video_query_percent REAL;
ALTER TABLE bank_settings ADD COLUMN video_compared_percent REAL;
