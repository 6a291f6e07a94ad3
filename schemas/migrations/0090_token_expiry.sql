-- SPDX-License-Identifier: MIT
-- API tokens may expire (`draftd token create --expires 90d`): a request with
-- a token past expires_at gets 401 token_expired. last_used_at is what
-- `draftd token list` shows, written by the authenticating lookup at most
-- once a minute per token, so busy tokens do not turn reads into writes.
ALTER TABLE api_tokens
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN last_used_at timestamptz;
