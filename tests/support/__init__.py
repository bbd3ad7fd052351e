"""What the tests share besides fixtures, imported as `support.<module>` from any folder under tests/.

- `paths`: where the repository and the tests' data files are.
- `mocked_bot`: a Bot whose session records requests, and builders of the updates Telegram delivers.
- `telegram_standin`: a Bot API stand-in served over HTTP, for the real bot process.
- `chat`: the chat page object, feeding updates through the real dispatcher and reading the replies.
- `scored_clients`: the clients of the scored database, handed out one to a test.
- `tiering_builders`: client facts and rules for the tiering tests.
"""
