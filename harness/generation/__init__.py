"""Generation: requests, the cache, backends and executors."""
