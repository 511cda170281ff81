PAGE = "<!doctype html><title>pyflare explorer</title>"
