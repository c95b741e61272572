// The site's only script, loaded from a file so that the Content Security Policy can forbid inline code.
document.addEventListener("DOMContentLoaded", () => {
  for (const link of document.querySelectorAll("[data-print]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      window.print();
    });
  }
});
