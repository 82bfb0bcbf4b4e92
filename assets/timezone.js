// Offers the browser's own time zone beside a board's time-zone field; without JavaScript the
// field still lists every zone to pick from.
document.addEventListener('DOMContentLoaded', () => {
  const input = document.getElementById('time_zone');
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!input || !zone || input.value === zone) return;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'link';
  button.textContent = `Use this computer's time zone (${zone})`;
  button.addEventListener('click', () => { input.value = zone; input.focus(); button.remove(); });
  input.insertAdjacentElement('afterend', button);
});
