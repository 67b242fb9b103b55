# The Python example of spec 000 (Get Batch Status), as the page gives it; only
# the base URL, the key and the batch id come from the environment.
import os
import requests
import datetime
# Configuration
api_key = os.environ["BATCHD_KEY"]
batch_id = os.environ["BATCHD_BATCH_ID"]
base_url = os.environ["BATCHD_URL"]
# Get batch status with job details
response = requests.get(
    f"{base_url}/v1/batches/{batch_id}",
    headers={"X-Api-Key": api_key},
    params={"include_job_details": True}
)
# Process the response
if response.status_code == 200:
    data = response.json()["data"]
    # Display batch overview
    print(f"Batch: {data['batch_name']} ({data['batch_id']})")
    print(f"Status: {data['status'].upper()}")
    # Display progress information
    progress = data["progress"]
    print(f"Progress: {progress['percentage']:.1f}% ({progress['completed']} of {progress['total']} complete)")
    # Show timing information
    if data["status"] != "completed" and "estimated_completion" in data["timing"]:
        est_time = datetime.datetime.fromisoformat(data["timing"]["estimated_completion"].replace("Z", "+00:00"))
        now = datetime.datetime.now(datetime.timezone.utc)
        minutes_remaining = round((est_time - now).total_seconds() / 60)
        print(f"Estimated completion: {minutes_remaining} minutes remaining")
    # Show error count if any
    if progress["failed"] > 0 and "error_summary" in data:
        print(f"\nErrors: {progress['failed']} files failed")
        for error in data["error_summary"]:
            print(f" - {error['error_type']} ({error['count']} files): {error['resolution']}")
else:
    print(f"Error {response.status_code}: {response.text}")
