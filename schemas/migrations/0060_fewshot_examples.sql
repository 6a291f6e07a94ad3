-- Few-shot examples for the model's prompt (agent/llm/fewshot.c, agent/llm/redact.c,
-- daemon/store/store_fewshot.c). A reply reviewers approved unchanged becomes an
-- example only as a redacted copy written here: typed placeholders ([NAME],
-- [ORDER_ID], ...) instead of its customer's data. Prompts read this table,
-- never drafts.body. body is NULL when the redactor refused the reply (it
-- could not be made safe): it is then never offered again.
CREATE TABLE fewshot_examples (
    draft_id    bigint PRIMARY KEY REFERENCES drafts(id),
    category    text NOT NULL,
    body        text,
    redactor    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fewshot_examples_category_idx ON fewshot_examples (category, draft_id DESC)
    WHERE body IS NOT NULL;
