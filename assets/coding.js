// Coding page: when words of a reply are selected, fill that reply's form with the selection's
// character range and text. Offsets count Unicode characters (code points) of the reply's text,
// as the server does. Typing in "Selected text" instead clears the range (the server then
// finds the typed words in the reply).
(function () {
  function chars(s) { return Array.from(s).length; }
  function offsetIn(el, node, offset) {
    var r = document.createRange();
    r.setStart(el, 0);
    r.setEnd(node, offset);
    return chars(r.toString());
  }
  function fill() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    var range = sel.getRangeAt(0);
    var el = range.commonAncestorContainer.nodeType === 1 ? range.commonAncestorContainer : range.commonAncestorContainer.parentElement;
    var box = el && el.closest('.codable');
    if (!box) return;
    var form = document.getElementById(box.dataset.form);
    if (!form) return;
    var start = offsetIn(box, range.startContainer, range.startOffset);
    var end = offsetIn(box, range.endContainer, range.endOffset);
    if (end <= start) return;
    form.elements.start.value = start;
    form.elements.end.value = end;
    form.elements.excerpt.value = range.toString();
    var details = form.closest('details');
    if (details) details.open = true;
  }
  document.addEventListener('mouseup', fill);
  document.addEventListener('keyup', function (e) { if (e.shiftKey) fill(); });
  document.addEventListener('input', function (e) {
    if (e.target.name === 'excerpt' && e.target.form) {
      e.target.form.elements.start.value = '';
      e.target.form.elements.end.value = '';
    }
  });
})();
