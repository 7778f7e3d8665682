"""The directory's side of the sync engine, in three parts.

- ``store``: ``SqlSyncStore``, the SQL implementation of ``sync.store.SyncStore``
  (checkpoints, runs, pages applied or held, quarantine, push receipts).
- ``leadership``: how a single scheduler is guaranteed (SQLite lease, PostgreSQL
  advisory lock).
- ``status``: the read side the pages show (peer health, runs, quarantine, receipts).
"""
