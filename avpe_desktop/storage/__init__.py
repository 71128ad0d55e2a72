"""Where things are kept: the library database, project folders, caches, uploads."""
