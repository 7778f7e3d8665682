"""`smedir demo`: a small federation on 127.0.0.1 (nodes, seed data, processes)."""
