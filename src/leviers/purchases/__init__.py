"""The buyer's own purchase records (private data): reading, private storage, shares on all spending."""
