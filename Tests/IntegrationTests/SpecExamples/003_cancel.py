# The Python example of spec 003 (Control Batch State), as the page gives it; only
# the base URL, the key and the batch id come from the environment.
import os
import requests

# Configuration
api_key = os.environ["BATCHD_KEY"]
batch_id = os.environ["BATCHD_BATCH_ID"]
base_url = os.environ["BATCHD_URL"]

# Cancel the batch
response = requests.put(
    f"{base_url}/v1/batches/{batch_id}/state",
    headers={
        "X-Api-Key": api_key,
        "Content-Type": "application/json"
    }
)

# Process the response
if response.status_code == 200:
    data = response.json()
    result = data["data"]
    print(f"Batch {result['batch_id']} state changed:")
    print(f"  {result['previous_state']} -> {result['current_state']}")
    print(f"  Timestamp: {result['timestamp']}")
else:
    print(f"Error {response.status_code}: {response.text}")
