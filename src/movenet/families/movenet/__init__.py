"""MoveNet: SinglePose Lightning and Thunder, MultiPose Lightning (pose-detection/src/movenet/)."""
