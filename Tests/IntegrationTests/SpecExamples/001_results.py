# The Python example of spec 001 (Get Batch Results), as the page gives it; only
# the base URL, the key and the batch id come from the environment.
import os
import requests
# Configuration
api_key = os.environ["BATCHD_KEY"]
batch_id = os.environ["BATCHD_BATCH_ID"]
base_url = os.environ["BATCHD_URL"]
# Get batch results
response = requests.get(
    f"{base_url}/v1/batches/{batch_id}/results",
    headers={"X-Api-Key": api_key},
    params={
        "page": 1,
        "page_size": 50
    }
)
# Process the response
if response.status_code == 200:
    data = response.json()
    # Access batch summary information
    summary = data["data"]["batch_summary"]
    print(f"Batch: {summary['batch_name']}")
    print(f"Status: {summary['status']}")
    print(f"Collection: {summary['collection']}")
    # Check completion statistics
    completion = summary["completion"]
    print(f"Completion: {completion['successful']}/{completion['total_items']} items ({completion['completion_rate']}%)")
    # Display processed items
    print("\nProcessed items:")
    for item in data["data"]["job_results"]:
        status = "OK" if item["status"] == "succeeded" else "X" if item["status"] == "failed" else "!"
        print(f"{status} {item.get('filename', 'Unknown')} - {item.get('media_id', 'No media ID')}")
    # Display statistics
    if "statistics" in data["data"]:
        stats = data["data"]["statistics"]
        print("\nMedia Distribution:")
        if "media_distribution" in stats:
            media_dist = stats["media_distribution"]
            print(f"Total created media items: {media_dist.get('total_created_media_items', 0)}")
            # Print media IDs by type
            if "media_ids_by_type" in media_dist:
                print("\nMedia IDs by type:")
                for media_type, ids in media_dist["media_ids_by_type"].items():
                    print(f" {media_type}: {len(ids)} items")
else:
    print(f"Error {response.status_code}: {response.text}")
