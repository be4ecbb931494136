/* docs-compile: boxes that scroll sideways are reachable by keyboard and named.
 *
 * The theme wraps every table in a box that scrolls sideways when the table is wider than the column, and
 * the site draws every Mermaid diagram, and on a phone every exported diagram, at its natural size in a box
 * that scrolls the same way (shrunk to the column, a wide diagram's text would be a few pixels high). A box that scrolls can only be scrolled
 * with the keyboard when it can take focus (WCAG 2.1.1; axe `scrollable-region-focusable`), so while it
 * scrolls it gets tabindex="0", a group role and a name: the diagram's caption, or the heading above the
 * table. Boxes are found as the theme adds them and checked again whenever their size changes.
 */
(function () {
  "use strict";

  var BOXES = ".md-typeset .md-typeset__scrollwrap, .md-typeset div.mermaid, .md-typeset figure.diagram-file > .diagram-scroll";
  var HEADINGS = "h1, h2, h3, h4, h5, h6";
  var seen = new WeakSet();

  function text(element) {
    return (element.textContent || "").replace(/\s+/g, " ").trim();
  }

  function diagramName(box) {
    var caption = box.nextElementSibling;
    if (caption && caption.classList.contains("diagram-caption")) {
      var title = caption.querySelector("strong");
      return "Diagram: " + text(title || caption).replace(/\.$/, "");
    }
    return "Diagram";
  }

  function tableName(box) {
    for (var node = box; node && !node.matches("article"); node = node.parentElement) {
      for (var before = node.previousElementSibling; before; before = before.previousElementSibling) {
        if (before.matches(HEADINGS)) {
          return "Table: " + text(before);
        }
      }
    }
    return "Table";
  }

  function update(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", box.matches("div.mermaid, .diagram-scroll") ? diagramName(box) : tableName(box));
    } else if (!scrolls && box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }

  var resized = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { update(entry.target); });
  });

  function watch() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      if (!seen.has(box)) {
        seen.add(box);
        resized.observe(box);
      }
      update(box);
    });
  }

  new MutationObserver(watch).observe(document.body, { childList: true, subtree: true });
  watch();
})();
