#!/usr/bin/env python3
"""Writes a deterministic donor file and donation file for `hemaflow import`.

    scripts/gen-donors.py OUTDIR [--donors 500000] [--donations 2000000] [--seed 8]

Same arguments, same bytes. Names include accented and multi-part last names, phones
come in several formats, most donors have an email. Donor numbers are D0000001 onwards.
"""
import argparse
import datetime
import os
import random
import unicodedata

LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart
Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox
Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes
Müller Schröder Weiß Köhler Groß García Núñez Muñoz Peña Ibáñez Gómez Pérez Sánchez Fernández Jiménez Álvarez
Søndergaard Ødegård Åberg Lindström Öztürk Çelik Dvořák Novák Wiśniewski Łukasiewicz Kovačević Đorđević
O'Brien O'Neil D'Angelo Smith-Jones Lloyd-Webber""".split() + ["van der Berg", "de la Cruz", "Le Blanc", "Mac Donald", "St. John"]


FIRST = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan
Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra
Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy
George Melissa Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob
Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole
Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn
José María Zoë Chloé André Renée Jürgen Jörg Søren Åsa Łukasz Małgorzata Ángel Inés Raúl Chiara Björn François
Ana Juan Carlos Luis Ming Wei Aisha Fatima Omar Priya Ravi Yuki Hiroshi Olga Ivan Dmitri Anneliese Marie-Claire""".split()

GROUPS = ["O+"] * 38 + ["O-"] * 7 + ["A+"] * 34 + ["A-"] * 6 + ["B+"] * 9 + ["B-"] * 2 + ["AB+"] * 3 + ["AB-"] * 1
PROCS = ["whole_blood"] * 80 + ["plasma"] * 10 + ["platelets"] * 7 + ["double_red_cells"] * 3


def ascii_local(s):
    plain = unicodedata.normalize("NFKD", s.lower()).replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("đ", "d")
    return "".join(c for c in plain if c.isascii() and c.isalnum())


def phone(rng):
    area, ex, line = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    f = rng.randrange(5)
    if f == 0:
        return f"+1 ({area}) {ex}-{line:04d}"
    if f == 1:
        return f"{area}-{ex}-{line:04d}"
    if f == 2:
        return f"{area}{ex}{line:04d}"
    if f == 3:
        return f"{area}.{ex}.{line:04d}"
    return f"({area}) {ex} {line:04d}"


def csv(s):
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n') else s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--donors", type=int, default=500_000)
    ap.add_argument("--donations", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    lasts = LAST
    os.makedirs(a.outdir, exist_ok=True)
    start = datetime.date(1950, 1, 1)
    with open(os.path.join(a.outdir, "donors.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("donor_number,first_name,last_name,birth_date,sex,blood_group,email,phone\n")
        for i in range(1, a.donors + 1):
            first, last = rng.choice(FIRST), rng.choice(lasts)
            born = start + datetime.timedelta(days=rng.randrange(20_000))
            sex = rng.choice("FM")
            group = rng.choice(GROUPS) if rng.random() < 0.9 else ""
            email = f"{ascii_local(first)}.{ascii_local(last)}{i}@example.org" if rng.random() < 0.7 else ""
            tel = phone(rng) if rng.random() < 0.85 else ""
            f.write(f"D{i:07d},{csv(first)},{csv(last)},{born.isoformat()},{sex},{group},{email},{csv(tel)}\n")
    # Donations spread over the donors (about donations/donors each), on distinct days.
    first_day = datetime.date(2010, 1, 1)
    span = (datetime.date(2026, 11, 30) - first_day).days
    per = a.donations / a.donors
    written = 0
    with open(os.path.join(a.outdir, "donations.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("donor_number,procedure,collected_on\n")
        for i in range(1, a.donors + 1):
            left = a.donations - written
            donors_left = a.donors - i + 1
            n = left if donors_left == 1 else min(left, max(0, int(rng.uniform(0, 2 * per) + 0.5)))
            days = sorted(rng.sample(range(span), n)) if n else []
            for d in days:
                f.write(f"D{i:07d},{rng.choice(PROCS)},{(first_day + datetime.timedelta(days=d)).isoformat()}\n")
            written += n
    print(f"wrote {a.donors} donors and {written} donations to {a.outdir}")


if __name__ == "__main__":
    main()
