// Progressive enhancement for the SPARQL page: example links fill the editor instead of navigating.
document.querySelectorAll("a.example").forEach(function (link) {
  link.addEventListener("click", function (event) {
    event.preventDefault();
    document.getElementById("query").value = link.dataset.query;
  });
});
