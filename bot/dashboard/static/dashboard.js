// The dashboard's only script (no inline scripts: the CSP forbids them). Everything works without it
// except two niceties: times shown in the browser's time zone, and the live queue's refresh.
"use strict";
function localTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) el.textContent = d.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
  }
}
function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
async function refreshQueue(table) {
  let data;
  try {
    const answer = await fetch(table.dataset.source, {credentials: "same-origin", headers: {Accept: "application/json"}});
    if (!answer.ok) return;
    data = await answer.json();
  } catch (e) { return; }
  const body = document.createElement("tbody");
  for (const job of data.jobs) {
    const row = document.createElement("tr");
    row.append(cell(job.state), cell(job.model), cell(job.member));
    const since = document.createElement("td"), time = document.createElement("time");
    time.setAttribute("datetime", job.since.iso); time.textContent = job.since.text; since.append(time);
    row.append(since);
    const action = document.createElement("td");
    if (job.cancel) {
      const form = document.createElement("form");
      form.method = "post"; form.className = "inline";
      form.action = "/g/" + table.dataset.guild + "/queue/" + encodeURIComponent(job.id) + "/cancel";
      const csrf = document.createElement("input");
      csrf.type = "hidden"; csrf.name = "csrf"; csrf.value = table.dataset.csrf;
      const button = document.createElement("button");
      button.type = "submit"; button.textContent = table.dataset.cancel;
      form.append(csrf, button); action.append(form);
    }
    row.append(action); body.append(row);
  }
  if (!data.jobs.length) {
    const row = document.createElement("tr"), td = cell(table.dataset.empty);
    td.colSpan = 5; row.append(td); body.append(row);
  }
  localTimes(body);
  table.tBodies[0].replaceWith(body);
}
document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  const queue = document.getElementById("queue");
  if (queue) setInterval(() => refreshQueue(queue), 5000);
});
