// The live feed: a few lines of plain JavaScript over EventSource. Text is
// set with textContent, never as HTML.
(function () {
  var list = document.getElementById("feed");
  var state = document.getElementById("feed-state");
  if (!list || !window.EventSource) return;
  var source = new EventSource("/events/stream");
  source.onopen = function () { state.textContent = "Connected: new events appear at the top."; };
  source.onerror = function () { state.textContent = "Disconnected: reconnecting…"; };
  source.addEventListener("missed", function () {
    state.textContent = "Some events were skipped: this page fell behind.";
  });
  source.addEventListener("session", function (e) {
    var ev = JSON.parse(e.data);
    var li = document.createElement("li");
    [["time", ev.time], ["ev-" + ev.event, ev.event], ["sid", ev.session]].forEach(function (c) {
      var span = document.createElement("span");
      span.className = c[0];
      span.textContent = c[1];
      li.appendChild(span);
    });
    var empty = document.getElementById("feed-empty");
    if (empty) empty.remove();
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 50) list.removeChild(list.lastChild);
  });
})();
