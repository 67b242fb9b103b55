// Creating a batch by dropping files: one CSV or JSONL file becomes one item a row
// (Check's inputFormat, options in the query); any other files become one item a
// file (Wickson's multipart form). Every create carries an Idempotency-Key, kept
// for a retry of the same files, so a retried create never makes two batches.
import { query } from "../api.js";
import { h, replace } from "../elements.js";
import { bytes } from "../format.js";

const ROW_TYPES = { csv: "text/csv", jsonl: "application/x-ndjson", ndjson: "application/x-ndjson" };

export async function batchCreateView(main, app) {
  let files = [];
  let idempotencyKey = crypto.randomUUID();

  const name = h("input", { id: "batch-name", name: "batch_name", type: "text", autocomplete: "off", maxlength: 256 });
  const processor = h("input", { id: "processor", name: "processor", type: "text", value: "ingest", list: "processors", autocomplete: "off" });
  const processors = h("datalist", { id: "processors" }, h("option", { value: "ingest" }), h("option", { value: "noop" }));
  const maxConcurrent = h("input", { id: "max-concurrent", name: "max_concurrent", type: "number", min: 1, max: 1000, value: 5 });
  const picker = h("input", { id: "files", type: "file", multiple: true, class: "visually-hidden", onchange: () => choose([...picker.files]) });
  const chosen = h("div", { id: "chosen", "aria-live": "polite" }, h("p", { class: "muted" }, "No files yet."));
  const zone = h(
    "label",
    {
      for: "files",
      class: "dropzone",
      id: "dropzone",
      tabindex: 0,
      onkeydown: (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          picker.click();
        }
      },
      ondragover: (event) => {
        event.preventDefault();
        zone.classList.add("over");
      },
      ondragleave: () => zone.classList.remove("over"),
      ondrop: (event) => {
        event.preventDefault();
        zone.classList.remove("over");
        choose([...(event.dataTransfer?.files ?? [])]);
      },
    },
    h("strong", {}, "Drop files here"),
    h("span", {}, " or press to choose. One CSV or JSONL file: one item a row. Other files: one item a file (up to 25)."),
  );
  const submit = h("button", { type: "submit", class: "primary", disabled: true }, "Create batch");

  function choose(list) {
    files = list;
    idempotencyKey = crypto.randomUUID();
    submit.disabled = files.length === 0;
    if (files.length === 0) {
      replace(chosen, h("p", { class: "muted" }, "No files yet."));
      return;
    }
    const rows = rowType();
    replace(
      chosen,
      h("p", {}, rows ? `Rows from ${files[0].name}: one item a row.` : `${files.length} file(s): one item a file.`),
      h("ul", { class: "files" }, files.map((f) => h("li", {}, `${f.name} (${bytes(f.size)})`))),
    );
  }

  function rowType() {
    if (files.length !== 1) return null;
    const extension = files[0].name.split(".").pop().toLowerCase();
    return ROW_TYPES[extension] ?? null;
  }

  async function create(event) {
    event.preventDefault();
    if (files.length === 0) return;
    submit.disabled = true;
    const options = { max_concurrent: Number(maxConcurrent.value) || undefined, processor: processor.value.trim() || undefined };
    const headers = { "Idempotency-Key": idempotencyKey };
    try {
      let body;
      const rows = rowType();
      if (rows) {
        body = await app.client.request("POST", `/v1/batches${query({ batch_name: name.value.trim(), ...options })}`, {
          body: files[0],
          contentType: rows,
          headers,
        });
      } else {
        const form = new FormData();
        for (const file of files) form.append("file", file, file.name);
        if (name.value.trim()) form.append("batch_name", name.value.trim());
        form.append("batch_options", JSON.stringify(options));
        body = await app.client.request("POST", "/v1/batches", { body: form, headers });
      }
      app.go(`/batches/${body.data.batch_id}`);
    } catch (error) {
      app.showError(error);
      submit.disabled = false;
    }
  }

  replace(
    main,
    h(
      "form",
      { class: "card", onsubmit: create },
      h("h1", {}, "New batch"),
      zone,
      picker,
      chosen,
      h(
        "div",
        { class: "fields" },
        h("div", {}, h("label", { for: "batch-name" }, "Name"), name),
        h("div", {}, h("label", { for: "processor" }, "Processor"), processor, processors),
        h("div", {}, h("label", { for: "max-concurrent" }, "Items at once"), maxConcurrent),
      ),
      submit,
    ),
  );
}
