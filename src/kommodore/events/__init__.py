"""The events log: what happened to leads, contacts, companies and tasks, written with the
change itself."""
