"""The local stack: the fake DeepSeek and the reference service as real processes."""
