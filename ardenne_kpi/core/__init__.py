"""The foundation every other package stands on, importing nothing of the project above it:
`errors` (every error a user can meet, in French), `settings` (the environment and
secrets.toml), `format` (French numbers and dates, the one writer of export text), `periods`
(period parsing, calendars, roll-ups), `links` (the page list and addresses), `storage`
(files written aside and renamed into place), `indicator_status` (status codes, labels,
marks, colours) and `accounts` (accounts, roles, sign-in)."""
