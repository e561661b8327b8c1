// kommodore console: the little the pages need beyond HTML. Drag a card to move a lead (the
// keyboard's "Move to" form does the same without a mouse), load more cards, follow the
// journal, copy the curl line, and paint stage and tag colours (CSS may not be inline here).
"use strict";

(function () {
  const main = document.getElementById("main");
  const csrf = main ? main.dataset.csrf : "";
  const base = "/_kommodore/console";

  function paint(root) {
    root.querySelectorAll("[data-color]").forEach(function (el) {
      const color = el.dataset.color;
      if (!color) return;
      const css = color.charAt(0) === "#" ? color : "#" + color;
      if (el.classList.contains("column")) el.style.borderTopColor = css;
      else el.style.backgroundColor = css;
    });
  }

  function say(text, isError) {
    const status = document.getElementById("board-status");
    if (!status) return;
    status.textContent = text;
    status.className = isError ? "status error" : "status notice";
  }

  function money(value) {
    return Math.round(value).toLocaleString("en").replace(/,/g, "\u202f");
  }

  function adjust(column, count, price) {
    const c = column.querySelector(".count");
    const s = column.querySelector(".sum");
    const newCount = parseInt(c.textContent, 10) + count;
    c.textContent = String(newCount);
    column.querySelector(".noun").textContent = newCount === 1 ? "lead" : "leads";
    s.dataset.value = String((parseFloat(s.dataset.value || s.textContent.replace(/\s/g, "")) || 0) + price);
    s.textContent = money(parseFloat(s.dataset.value));
  }

  function setupBoard(board) {
    let dragged = null;
    board.addEventListener("dragstart", function (event) {
      const card = event.target.closest(".card");
      if (!card) return;
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.leadId);
    });
    board.addEventListener("dragover", function (event) {
      if (dragged && event.target.closest(".column")) event.preventDefault();
    });
    board.addEventListener("drop", function (event) {
      const column = event.target.closest(".column");
      if (!dragged || !column) return;
      event.preventDefault();
      const card = dragged;
      dragged = null;
      const from = card.closest(".column");
      if (from === column) return;
      move(card, from, column);
    });
    board.addEventListener("click", function (event) {
      const more = event.target.closest("button.more");
      if (more) loadMore(board, more);
    });
  }

  function move(card, from, column) {
    const leadId = card.dataset.leadId;
    say("Moving lead " + leadId + "…", false);
    fetch(base + "/leads/" + leadId + "/move", {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({
        pipeline_id: parseInt(column.dataset.pipeline, 10),
        status_id: parseInt(column.dataset.status, 10),
      }),
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (answer) {
      if (!answer.ok) {
        const why = answer.body.errors && answer.body.errors.length ? ": " + answer.body.errors.join("; ") : "";
        say("Lead " + leadId + " was not moved. " + answer.body.detail + why, true);
        return;
      }
      const price = parseFloat(card.dataset.price) || 0;
      column.querySelector(".cards").prepend(card);
      const select = card.querySelector("select[name=stage]");
      if (select) select.value = column.dataset.pipeline + ":" + column.dataset.status;
      adjust(from, -1, -price);
      adjust(column, 1, price);
      say(answer.body.detail, false);
    }).catch(function () {
      say("Lead " + leadId + " was not moved: the server did not answer.", true);
    });
  }

  function loadMore(board, button) {
    const column = button.closest(".column");
    const params = new URLSearchParams({
      pipeline: column.dataset.pipeline, status: column.dataset.status,
      offset: button.dataset.offset, user: board.dataset.user, tag: board.dataset.tag,
      query: board.dataset.query,
    });
    button.disabled = true;
    fetch(base + "/board/cards?" + params.toString(), {credentials: "same-origin"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        const holder = document.createElement("template");
        holder.innerHTML = html;
        paint(holder.content);
        button.replaceWith(holder.content);
      });
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function journalRow(entry) {
    const row = document.createElement("tr");
    row.className = "entry" + (entry.status >= 400 ? " refused" : "");
    row.dataset.id = String(entry.id);
    cell(row, new Date(entry.at_ms).toISOString().replace("T", " ").slice(0, 19) + " UTC");
    const request = cell(row, "");
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = entry.method + " " + entry.path + (entry.query ? "?" + entry.query : "");
    details.appendChild(summary);
    [["Request body", entry.request_body], ["Response body", entry.response_body]].forEach(function (part) {
      const h = document.createElement("p");
      h.className = "part";
      h.textContent = part[0];
      const pre = document.createElement("pre");
      pre.textContent = part[1] || "(none)";
      details.appendChild(h);
      details.appendChild(pre);
    });
    request.appendChild(details);
    cell(row, String(entry.status));
    cell(row, entry.latency_ms.toFixed(1));
    cell(row, entry.principal ? "account " + entry.principal.account_id + " · user " + entry.principal.user_id : "-");
    const why = cell(row, entry.reason || "");
    if (entry.injected) {
      const strong = document.createElement("strong");
      strong.textContent = " injected: " + entry.injected;
      why.appendChild(strong);
    }
    return row;
  }

  function followJournal(table) {
    const rows = document.getElementById("journal-rows");
    function poll() {
      const params = new URLSearchParams({after: table.dataset.after});
      if (table.dataset.path) params.set("path", table.dataset.path);
      if (table.dataset.status) params.set("status", table.dataset.status);
      fetch(base + "/requests.json?" + params.toString(), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : {requests: []}; })
        .then(function (body) {
          body.requests.forEach(function (entry) {
            rows.appendChild(journalRow(entry));
            table.dataset.after = String(entry.id);
          });
        })
        .finally(function () { setTimeout(poll, 1000); });
    }
    setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    paint(document);
    const board = document.querySelector(".board");
    if (board) setupBoard(board);
    const journal = document.querySelector("table.journal");
    if (journal) followJournal(journal);
    document.querySelectorAll("button.copy-button").forEach(function (button) {
      button.addEventListener("click", function () {
        const input = document.getElementById(button.dataset.copy);
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value);
        button.textContent = "Copied";
      });
    });
  });
})();
