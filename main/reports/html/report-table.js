// The HTML report's sortable tables (inlined by ../html.ts): a click (or Enter) on a header sorts
// by that column; cells sort by their data-v value when they have one (raw numbers), else by their
// text; empty cells always go last.
/* global document */
(function () {
  'use strict';
  function sortableTables() {
    for (const table of document.querySelectorAll('table.sortable')) {
      const headers = [...table.tHead.rows[0].cells];
      const body = table.tBodies[0];
      const key = (cell) => (cell.dataset.v !== undefined ? cell.dataset.v : cell.textContent.trim());
      headers.forEach((th, col) => {
        th.tabIndex = 0;
        const sort = () => {
          const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
          headers.forEach((h) => h.removeAttribute('aria-sort'));
          th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
          const rows = [...body.rows].sort((a, b) => {
            const [x, y] = [key(a.cells[col]), key(b.cells[col])];
            if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
            const [nx, ny] = [Number(x), Number(y)];
            const c = isFinite(nx) && isFinite(ny) ? nx - ny : x.localeCompare(y, undefined, { numeric: true });
            return c * dir;
          });
          body.append(...rows);
        };
        th.addEventListener('click', sort);
        th.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            sort();
          }
        });
      });
    }
  }

  sortableTables();
})();
