"""The adviser's workspace: their book of clients, a client's summary written for staff, the summary's chart, and
the admin's views of the firm. Every read of a client's data takes the `AllowedClient` that
`bot.accounts.grant_access` returns."""
