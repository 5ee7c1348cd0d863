// After a refused submit, put the keyboard on the first field that needs fixing (no inline script:
// the pages load this module). Django marks such fields aria-invalid="true"; an error about the
// whole form (role="alert" before the fields) focuses that form's first field instead.
const invalid = document.querySelector('form [aria-invalid="true"]');
const formError = document.querySelector("form .form-error[role=alert]");
const target =
  invalid ?? formError?.closest("form")?.querySelector("input:not([type=hidden]), select, textarea");
if (target) {
  target.focus();
}
