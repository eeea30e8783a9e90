# Reference DeLong values for libs/metrics from pROC.
#
# Run (Debian packages r-base 4.2, r-cran-proc 1.18.0), after sklearn_metrics_reference.py has
# written the CSVs:
#     Rscript tools/reference/pROC_delong_reference.R
# Prints JSON that libs/metrics/src/reference-agreement.spec.ts hardcodes. Also writes
# metrics-data/asah.csv, pROC's aSAH data (Turck et al. 2010), the example of pROC's manual.
suppressPackageStartupMessages(library(pROC))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))
data_dir <- file.path(here, "metrics-data")

data(aSAH)
write.csv(data.frame(label = as.integer(aSAH$outcome == "Poor"), s100b = aSAH$s100b, wfns = aSAH$wfns, ndka = aSAH$ndka),
          file.path(data_dir, "asah.csv"), row.names = FALSE)

num <- function(x) sprintf("%.17g", x)
mkroc <- function(y, s) roc(y, s, levels = c(0, 1), direction = "<", quiet = TRUE)
one <- function(y, s) {
  r <- mkroc(y, s)
  ci <- ci.auc(r, method = "delong")
  sprintf('{"auc": %s, "variance": %s, "lower": %s, "upper": %s}', num(as.numeric(auc(r))), num(var(r, method = "delong")),
          num(ci[1]), num(ci[3]))
}
pair <- function(y, a, b) {
  t <- roc.test(mkroc(y, a), mkroc(y, b), method = "delong", paired = TRUE)
  sprintf('{"z": %s, "p": %s, "lower": %s, "upper": %s}', num(t$statistic), num(t$p.value), num(t$conf.int[1]), num(t$conf.int[2]))
}

parts <- c(sprintf('"pROC": "%s"', as.character(packageVersion("pROC"))))
for (name in c("ties1000", "separated1000", "hard1000", "small4", "asah")) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")))
  cols <- setdiff(names(d), "label")
  entries <- sapply(cols, function(c) sprintf('"%s": %s', c, one(d$label, d[[c]])))
  if (length(cols) > 1) {
    pairs <- combn(cols, 2)
    entries <- c(entries, apply(pairs, 2, function(p) sprintf('"%s-%s": %s', p[1], p[2], pair(d$label, d[[p[1]]], d[[p[2]]]))))
  }
  parts <- c(parts, sprintf('"%s": {%s}', name, paste(entries, collapse = ", ")))
}

# Unpaired: model a on the first 500 samples of ties1000 against model b on the last 500.
d <- read.csv(file.path(data_dir, "ties1000.csv"))
first <- 1:500
second <- 501:1000
t <- roc.test(mkroc(d$label[first], d$a[first]), mkroc(d$label[second], d$b[second]), method = "delong", paired = FALSE)
# pROC gives no CI here; its statistic D is read against Student's t with Welch df.
parts <- c(parts, sprintf('"unpaired_ties1000_a_first500_b_last500": {"D": %s, "df": %s, "p": %s}',
                          num(t$statistic), num(t$parameter), num(t$p.value)))
parts <- c(parts, sprintf('"student_t": {"qt_0.975_950.18": %s, "pt_-2.5_3.7": %s, "pt_-40_12.5": %s}',
                          num(qt(0.975, 950.18)), num(pt(-2.5, 3.7)), num(pt(-40, 12.5))))
cat("{\n", paste(parts, collapse = ",\n "), "\n}\n", sep = "")
