/*
 * Customer form: show the fields of the chosen kind only (enterprise: credit code, industry...;
 * individual: ID number). A static file, not inline: the Content-Security-Policy runs no inline script.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-form='customer']");
  if (!form) {
    return;
  }
  function update() {
    var checked = form.querySelector("input[name='kind']:checked");
    var kind = checked ? checked.value : "";
    form.querySelectorAll("[data-kind]").forEach(function (input) {
      var field = input.closest(".field");
      if (field) {
        field.hidden = kind !== "" && input.dataset.kind !== kind;
      }
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") {
      update();
    }
  });
  update();
})();
