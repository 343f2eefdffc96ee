"""`mesh dev`: Dagster's webserver and daemon on a specs folder, reloaded on change."""
