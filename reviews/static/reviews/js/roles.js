// The role matrix of the API contract (reviews/permissions.py), used only to hide the
// controls a person cannot use; the server decides every request on its own.

const MATRIX = {
  director: ["read", "comment", "resolve", "manage_shots", "set_review_status", "manage_members", "moderate"],
  mentor: ["read", "comment", "resolve", "set_review_status"],
  reviewer: ["read", "comment"],
  viewer: ["read"],
};

// my_role is null only for staff, who see projects they are not members of and may do everything.
export function can(role, action) {
  if (role === null || role === undefined) return true;
  return (MATRIX[role] ?? []).includes(action);
}
