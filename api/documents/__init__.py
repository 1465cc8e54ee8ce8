"""Document routes: upload, list, read, download and delete the files attached to candidates, jobs,
applications, companies and placements (`routes.router`)."""
