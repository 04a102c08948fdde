"""One module per page; each registers its HTML route and JSON twin on `leviers.web.deps.PAGES`."""
