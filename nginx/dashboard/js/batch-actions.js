// What a batch's page offers, by its state (the native names of the status
// document). It mirrors BatchState.applying in Sources/BatchModel/Batches/BatchState.swift;
// batchd stays the judge: a move it refuses answers 409 with the allowed actions,
// which the page shows and then reloads.

/** [action, label, confirmation text, style] for the actions allowed now. */
export function allowedActions(status, counts) {
  const retryable = (counts.failed ?? 0) + (counts.expired ?? 0);
  const actions = [];
  switch (status) {
    case "accumulating":
      actions.push(ACTIONS.submit, ACTIONS.cancel);
      break;
    case "created":
    case "running":
      actions.push(ACTIONS.pause, ACTIONS.cancel);
      break;
    case "paused":
      actions.push(ACTIONS.resume, ACTIONS.cancel);
      break;
    case "completed":
      if (retryable > 0) actions.push(ACTIONS.retry_failed);
      actions.push(ACTIONS.delete);
      break;
    case "failed":
      actions.push(ACTIONS.delete);
      break;
    case "cancelled":
      actions.push(ACTIONS.delete);
      break;
    default:
      break;
  }
  return actions;
}

export const ACTIONS = {
  submit: { action: "submit", label: "Submit", confirm: "Submit this batch? Its items start running and no more can be added.", style: "primary" },
  pause: { action: "pause", label: "Pause", confirm: "Pause this batch? Running items finish; no new ones start until you resume.", style: "secondary" },
  resume: { action: "resume", label: "Resume", confirm: "Resume this batch?", style: "primary" },
  retry_failed: { action: "retry_failed", label: "Retry failed", confirm: "Run the failed and expired items again?", style: "secondary" },
  cancel: { action: "cancel", label: "Cancel", confirm: "Cancel this batch? Pending and running items are cancelled; finished ones stay. This cannot be undone.", style: "danger" },
  delete: { action: "delete", label: "Delete", confirm: "Delete this batch and its results? This cannot be undone.", style: "danger" },
};

/** Whether the batch can still change (its page keeps polling). */
export function isActive(status) {
  return ["accumulating", "created", "running", "paused"].includes(status);
}
