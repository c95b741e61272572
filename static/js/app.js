// The site's only script, loaded from a file so that the Content Security Policy can forbid inline code.
document.addEventListener("DOMContentLoaded", () => {
  for (const link of document.querySelectorAll("[data-print]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      window.print();
    });
  }
});

// The confirmation step of an irreversible action (catalog/confirmation.py): a form marked data-asks-first is posted
// by htmx, and the step the server answers (the same one a browser without JavaScript gets as a page) opens here as
// a dialog over the page. Its "Yes" button posts the real confirmation; cancelling closes the dialog, changing nothing.
document.addEventListener("DOMContentLoaded", () => {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const body = document.getElementById("confirm-dialog-body");
  document.addEventListener("htmx:after:swap", (event) => {
    const target = event.detail && event.detail.ctx && event.detail.ctx.target;
    if (target !== body || !body.querySelector("[data-confirm-step]")) return;
    if (body.querySelector("#confirm-title")) dialog.setAttribute("aria-labelledby", "confirm-title");
    if (!dialog.open) dialog.showModal();
    const yes = body.querySelector("[data-testid=confirm]");
    if (yes) yes.focus();
  });
  body.addEventListener("click", (event) => {
    const cancel = event.target.closest("[data-dialog-cancel]");
    if (!cancel) return;
    event.preventDefault();
    dialog.close();
  });
  dialog.addEventListener("close", () => body.replaceChildren());
});

// Long requests say so: a form marked data-busy (an import being read, a file being checked) shows its "正在处理"
// note while the next page loads, and a second click does not send the file again.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-busy]")) {
    form.addEventListener("submit", (event) => {
      if (form.getAttribute("aria-busy") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("aria-busy", "true");
      const note = form.querySelector(".busy-note");
      if (note) note.hidden = false;
    });
  }
  // A page shown again from the back-forward cache is not busy any more.
  window.addEventListener("pageshow", () => {
    for (const form of document.querySelectorAll("form[aria-busy=true]")) {
      form.removeAttribute("aria-busy");
      const note = form.querySelector(".busy-note");
      if (note) note.hidden = true;
    }
  });
});

// Sections of a form that belong to one choice only (data-show-for="field:value value"): the application form shows
// the funding fields for the assistance list only, the assessment fields for the assessment list only, and so on.
// Without JavaScript every field shows, each saying which choice it belongs to.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form")) {
    const dependents = form.querySelectorAll("[data-show-for]");
    if (!dependents.length) continue;
    const current = (name) => {
      const inputs = form.querySelectorAll(`[name="${name}"]`);
      for (const input of inputs) {
        if (input.type === "checkbox") return input.checked ? "on" : "";
        if (input.type === "radio") { if (input.checked) return input.value; continue; }
        return input.value;
      }
      return "";
    };
    const update = () => {
      for (const box of dependents) {
        const [name, values] = box.dataset.showFor.split(":");
        box.hidden = !values.split(" ").includes(current(name));
      }
    };
    form.addEventListener("change", update);
    update();
  }
});

// 拍照查一查: the notice's picture with each demand outlined. The picture is not kept on the server, so it is shown
// from the file the secretary chose, held in this page's memory: the photo form and the corrected text are posted by
// htmx (the page is not left), and the result's marks (data-box: left top right bottom, fractions of the picture as
// shown) are laid over it in per cent, so they follow the picture at any width. Without JavaScript, or once the page
// is left, the demands and verdicts show without the picture.
(() => {
  let picture = null; // the File last read
  let shown = null; // its object URL

  const place = (root) => {
    const figure = root.querySelector("[data-notice-picture]");
    if (!figure || !picture) return;
    if (!shown) shown = URL.createObjectURL(picture);
    figure.querySelector("[data-notice-image]").src = shown;
    for (const mark of figure.querySelectorAll("[data-box]")) {
      let [left, top, right, bottom] = mark.dataset.box.split(" ").map(Number);
      // A little room around the characters, so that the outline does not cross them.
      const room = Math.min(right - left, bottom - top) * 0.2;
      [left, top, right, bottom] = [left - room, top - room, right + room, bottom + room];
      mark.style.left = `${Math.max(0, left) * 100}%`;
      mark.style.top = `${Math.max(0, top) * 100}%`;
      mark.style.width = `${(Math.min(1, right) - Math.max(0, left)) * 100}%`;
      mark.style.height = `${(Math.min(1, bottom) - Math.max(0, top)) * 100}%`;
      if (top < 0.04) mark.classList.add("label-below");
    }
    figure.hidden = false;
    for (const note of root.querySelectorAll("[data-needs-picture]")) note.hidden = false;
    const result = root.querySelector("[data-notice-result]");
    if (result) result.classList.add("has-picture");
  };

  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.matches("[data-notice-photo]")) return;
      let chosen = null;
      for (const input of form.querySelectorAll("input[type=file]")) {
        if (input.files && input.files.length) chosen = input.files[0];
      }
      if (!chosen) return;
      if (shown) URL.revokeObjectURL(shown);
      picture = chosen;
      shown = null;
      const note = form.querySelector(".busy-note");
      if (note) note.hidden = false;
    },
    true,
  );

  document.addEventListener("htmx:after:swap", () => {
    const main = document.getElementById("main");
    if (main) place(main);
  });
})();
