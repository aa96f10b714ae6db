"""Model families: one package per family of pose networks (today: MoveNet)."""
