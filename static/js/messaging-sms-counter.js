// Live SMS length under any <textarea data-sms-counter="ID-of-output">.
// Same rules as clientbook/messaging/sms_length.py: GSM-7 160/153, otherwise UCS-2 70/67.
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";

  function measure(text) {
    var gsm = true, units = 0, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (BASIC.indexOf(ch) >= 0) { units += 1; }
      else if (EXTENDED.indexOf(ch) >= 0) { units += 2; }
      else { gsm = false; break; }
    }
    if (!gsm) { units = text.length; } // JS strings are UTF-16 code units, like UCS-2 counting
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var segments = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: segments, perSegment: segments > 1 ? multi : single };
  }

  function update(area) {
    var out = document.getElementById(area.getAttribute("data-sms-counter"));
    if (!out) { return; }
    var m = measure(area.value);
    var text = m.units + " characters · " + m.segments + " SMS (" + m.encoding;
    if (m.segments > 1) { text += ", " + m.perSegment + " per part"; }
    text += ")";
    if (m.encoding === "UCS-2") { text += " · accents or emoji outside the SMS alphabet make parts shorter"; }
    out.textContent = text;
  }

  function bind(root) {
    var areas = (root || document).querySelectorAll("textarea[data-sms-counter]");
    Array.prototype.forEach.call(areas, function (area) {
      if (area.dataset.smsCounterBound) { update(area); return; }
      area.dataset.smsCounterBound = "1";
      area.addEventListener("input", function () { update(area); });
      update(area);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { bind(evt.target); });
})();
