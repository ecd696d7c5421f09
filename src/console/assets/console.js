// The console's only script: the live events view (an EventSource on /v1/events/stream).
// No framework, no build step.
"use strict";

(function () {
  // The live view: new events are added at the top as they are stored.
  const live = document.getElementById("live");
  if (live) {
    const status = document.getElementById("live-status");
    const empty = document.getElementById("live-empty");
    const rows = live.querySelector("tbody");
    const stream = new EventSource(live.dataset.stream);
    stream.onopen = () => (status.textContent = status.dataset.connected);
    stream.onerror = () => (status.textContent = status.dataset.reconnecting);
    stream.onmessage = (message) => {
      const event = JSON.parse(message.data);
      const data = event.data || {};
      const content = (data.message && data.message.content) || {};
      const row = document.createElement("tr");
      const cells = [
        event.timestamp,
        event.type,
        (data.channel && (data.channel.name || data.channel.id)) || "",
        (data.conversation && data.conversation.id) || "",
        content.text || content.type || "",
      ];
      cells.forEach((text) => {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      });
      const link = document.createElement("a");
      link.href = "/console/events/" + encodeURIComponent(data.event_id || message.lastEventId);
      link.textContent = live.dataset.show;
      const last = document.createElement("td");
      last.appendChild(link);
      row.appendChild(last);
      rows.prepend(row);
      empty.hidden = true;
    };
  }
})();
