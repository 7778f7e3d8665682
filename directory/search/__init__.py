"""Full-text search: Khmer and English tokens, the database indexes, and ranked hit queries."""
