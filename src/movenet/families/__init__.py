"""Model families: one package per family of pose networks (MoveNet, BlazePose, PoseNet)."""
