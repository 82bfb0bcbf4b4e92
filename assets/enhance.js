// Small improvements where JavaScript runs; every page works without them.
document.addEventListener('DOMContentLoaded', () => {
  // The question editor shows the fields of the kind chosen: options for choice and ranking,
  // the scale for ratings, nothing more for a written discussion.
  for (const kind of document.querySelectorAll('select[name="kind"]')) {
    const form = kind.closest('form');
    const follow = () => {
      for (const part of form.querySelectorAll('[data-kinds]')) {
        part.hidden = !part.dataset.kinds.split(' ').includes(kind.value);
      }
    };
    kind.addEventListener('change', follow);
    follow();
  }
  // A copy button beside each sign-in link.
  for (const input of document.querySelectorAll('input.link-copy')) {
    if (!navigator.clipboard || !input.value) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', `Copy ${input.getAttribute('aria-label') ?? 'the link'}`);
    button.addEventListener('click', async () => {
      await navigator.clipboard.writeText(input.value);
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = 'Copy'; }, 2000);
    });
    input.insertAdjacentElement('afterend', button);
  }
});
