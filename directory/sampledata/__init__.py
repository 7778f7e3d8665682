"""Sample SMEs for the demo, the README, the benchmarks and the tests (see generator.py)."""

from directory.sampledata.generator import COUNTRIES, generate_records, iter_jsonl, problem_records

__all__ = ["COUNTRIES", "generate_records", "iter_jsonl", "problem_records"]
