"""The sync engine: peer clients, pull and push, checkpoints, scheduler. Never imports Flask."""
