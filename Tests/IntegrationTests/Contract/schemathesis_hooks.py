"""schemathesis hooks for the contract run (ContractTests.schemathesisFindsNoFailure).

The contract states one rule JSON Schema cannot: a custom_id is unique within a batch
(a create or append that repeats one is a 400 naming both rows). Generated bodies are
kept to it; everything else is generated from the contract alone.
"""
import schemathesis


@schemathesis.hook
def filter_body(context, body):
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return True
    ids = [item.get("custom_id") for item in body["items"] if isinstance(item, dict) and isinstance(item.get("custom_id"), str)]
    return len(ids) == len(set(ids))
